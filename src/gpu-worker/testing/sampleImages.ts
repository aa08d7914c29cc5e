import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'

/** The shared sample photographs (read in place, never copied into the repo). */
export const SAMPLE_TAR = resolve(import.meta.dirname, '../../../../shared/images/imagenet-samples.tar')

export const hasSampleImages = () => existsSync(SAMPLE_TAR)

/** Every file of the sample tar by name (plain ustar: 512-byte headers, data padded to 512). */
export function readSampleImages(): Map<string, Buffer> {
  const tar = readFileSync(SAMPLE_TAR)
  const files = new Map<string, Buffer>()
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = tar.toString('latin1', at, at + 100).replace(/\0.*$/s, '')
    if (!name) break
    const size = Number.parseInt(
      tar
        .toString('latin1', at + 124, at + 136)
        .replace(/\0.*$/s, '')
        .trim(),
      8,
    )
    const type = tar.toString('latin1', at + 156, at + 157)
    if (type === '0' || type === '\0') files.set(name, tar.subarray(at + 512, at + 512 + size))
    at += 512 + Math.ceil(size / 512) * 512
  }
  return files
}
