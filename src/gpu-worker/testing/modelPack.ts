import { existsSync } from 'node:fs'
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** The first pack training/ exports (or MODELS_DIR's); tests that need a model skip, saying why, until it exists. */
export const MODELS_DIR = resolve(process.env.MODELS_DIR ?? resolve(import.meta.dirname, '../../../models'))
export const PACK_ID = 'cifar10-cnn'
const PACK_DIR = join(MODELS_DIR, PACK_ID)

export const hasModelPack = (id = PACK_ID) => existsSync(join(MODELS_DIR, id, 'manifest.json'))

/** A copy of the real pack in a fresh models dir, with `edit` applied to its manifest JSON. */
export async function copyPack(
  edit: (manifest: Record<string, unknown>) => void = () => {},
): Promise<string> {
  const modelsDir = await mkdtemp(join(tmpdir(), 'gpu-worker-models-'))
  const dir = join(modelsDir, PACK_ID)
  await cp(PACK_DIR, dir, { recursive: true })
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))
  edit(manifest)
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest))
  return modelsDir
}
