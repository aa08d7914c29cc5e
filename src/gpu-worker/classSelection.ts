import { classIdsOf, type WorkerExplainQuery } from '../shared/contract'
import type { Manifest } from '../shared/manifest'
import { topRanks } from '../shared/predictions'
import { ProblemError } from '../shared/problem'

/**
 * The `classes` row for the model: the class ids asked for (each checked against the model), else ranks
 * -1..-topK so that the graph explains its own top-k.
 */
export function selectClasses(
  options: Pick<WorkerExplainQuery, 'topK' | 'classes'>,
  manifest: Pick<Manifest, 'id' | 'labels' | 'numClasses'>,
): number[] {
  if (!options.classes) {
    return topRanks(Math.min(options.topK, manifest.numClasses))
  }
  const resolved = classIdsOf(manifest, options.classes)
  if ('refused' in resolved) throw new ProblemError('bad_options', resolved.refused)
  return resolved.ids
}
