/** What a command reads and writes besides files: streams and the environment, given by main or a test. */
export interface Io {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  env: NodeJS.ProcessEnv
}

/** File extensions of the images an answer carries, by media type. */
const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/webp': 'webp', 'image/jpeg': 'jpg' }

/** The file an explained class's map (a PNG) or overlay (of `type`) is written to, beside its image's outputs. */
export const imageFileName = (image: string, kind: 'map' | 'overlay', classId: number, type = 'image/png') =>
  `${image}.${kind}-${classId}.${EXTENSIONS[type] ?? 'bin'}`

/** A JSON answer or record as the tool prints and writes it: indented, ending in a newline. */
export const prettyJson = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

/** Rows as aligned columns: text left, numbers right. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))]
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)))
  const numeric = header.map((_, column) => rows.every((row) => typeof row[column] === 'number'))
  return cells
    .map((row) =>
      row
        .map((cell, column) =>
          numeric[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
