import { mkdir, writeFile } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import { parseArgs } from 'node:util'
import type { ExplainResult } from '../results'
import { UsageError } from './failure'
import { type Io, imageFileName, prettyJson, table } from './io'
import { CONNECTION_OPTIONS, clientFrom, EXPLAIN_OPTIONS, explainOptionsFrom } from './options'

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  ...EXPLAIN_OPTIONS,
  overlay: { type: 'string' },
  maps: { type: 'string' },
  json: { type: 'boolean' },
} as const

export const EXPLAIN_USAGE = `Usage: t-tame explain <image> [options]

Explains one photo: prints its top predictions and writes the explanations as images.

  --model <id>        model id, optionally id@version (default: the API's default model)
  --top-k <n>         how many predictions, and maps for the top n classes (1..10, default 3)
  --classes <list>    explain exactly these classes: ids or labels, comma-separated, or a JSON array
                      (["hen, rooster",3]) for a label with a comma
  --overlay <file>    write the colour overlay of the first explained class to this file, encoded as its
                      name says: .webp, .png or .jpg
  --maps <dir>        write every explained class's map (and overlay) into this folder
  --json              print the API's JSON answer instead of the table
  --url <url>, --key <key>   the API and its key (default: T_TAME_URL, T_TAME_API_KEY)`

function summary(image: string, result: ExplainResult): string {
  const { model, image: size, cached, timings } = result
  const head = `${image}: ${model.id}@${model.version}, ${size.width}x${size.height}, ${cached ? 'cached' : `${timings.totalMs} ms`}`
  const rows = result.predictions.map((p, rank) => [rank + 1, p.classId, p.label, p.score.toFixed(3)])
  return `${head}\n${table(['rank', 'class', 'label', 'score'], rows)}\n`
}

/** The overlay's encoding, from the name of the file it goes to. */
function overlayFormatOf(file: string): 'webp' | 'png' | 'jpeg' {
  const extension = extname(file).toLowerCase()
  if (extension === '.webp' || extension === '.png') return extension.slice(1) as 'webp' | 'png'
  if (extension === '.jpg' || extension === '.jpeg') return 'jpeg'
  throw new UsageError(
    `--overlay ${file}: name a .webp, .png or .jpg file; its extension picks the encoding.`,
  )
}

/** `t-tame explain <image>`: one photo, its predictions on stdout, its overlay and maps into files. */
export async function explainCommand(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true })
  if (values.help) return void io.stdout.write(`${EXPLAIN_USAGE}\n`)
  const [image, ...extra] = positionals
  if (!image || extra.length) throw new UsageError('Name exactly one image: t-tame explain <image>.')
  const client = clientFrom(values, io.env)
  const result = await client.explain(image, {
    ...explainOptionsFrom(values),
    ...(values.overlay !== undefined && { overlay: true, overlayFormat: overlayFormatOf(values.overlay) }),
  })
  const name = basename(image)
  io.stdout.write(values.json ? prettyJson(result) : summary(name, result))

  const [first] = result.explanations
  const overlay = first?.overlayBytes()
  if (values.overlay !== undefined && first && overlay) {
    await writeFile(values.overlay, overlay)
    io.stderr.write(`overlay of ${first.label} written to ${values.overlay}\n`)
  }
  if (values.maps !== undefined) {
    await mkdir(values.maps, { recursive: true })
    for (const explanation of result.explanations) {
      const { classId, overlayType } = explanation
      await writeFile(join(values.maps, imageFileName(name, 'map', classId)), explanation.mapBytes())
      const bytes = explanation.overlayBytes()
      if (bytes)
        await writeFile(join(values.maps, imageFileName(name, 'overlay', classId, overlayType)), bytes)
    }
    io.stderr.write(`${result.explanations.length} maps written to ${values.maps}\n`)
  }
}
