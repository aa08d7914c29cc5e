import { classIdOf, type ExplainOptions } from '../shared/contract'
import type { Manifest } from '../shared/manifest'
import { ProblemError } from './problem'

/**
 * The `classes` row for the model: the named classes (ids or labels) when asked for, else ranks -1..-topK
 * so that the graph explains its own top-k.
 */
export function selectClasses(options: ExplainOptions, manifest: Manifest): number[] {
  if (!options.classes) {
    return Array.from({ length: Math.min(options.topK, manifest.numClasses) }, (_, r) => -(r + 1))
  }
  return options.classes.map((ref) => {
    const id = classIdOf(manifest, ref)
    if (id === undefined) {
      throw new ProblemError(
        'bad_options',
        `class '${ref}' is not one of the ${manifest.numClasses} classes of ${manifest.id}`,
      )
    }
    return id
  })
}
