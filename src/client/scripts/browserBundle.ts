/**
 * An entry (the core by default) as a browser app would bundle it (esbuild, platform browser, minified): its size, minified and
 * gzipped, and the Node built-ins it would need (none may appear). Prints the figures when run:
 * `npm run size -w @t-tame/client`.
 */
import { resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

export async function browserBundle(entry = 'index.ts') {
  const result = await build({
    entryPoints: [resolve(import.meta.dirname, '..', entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]?.contents ?? new Uint8Array()
  return {
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    inputs: Object.keys(result.metafile.inputs),
    nodeBuiltins: Object.values(result.metafile.inputs).flatMap((input) =>
      input.imports.filter((i) => i.path.startsWith('node:') || i.external).map((i) => i.path),
    ),
  }
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const { bytes, gzipBytes, nodeBuiltins } = await browserBundle()
  console.log(
    `@t-tame/client for browsers: ${bytes} B minified, ${gzipBytes} B gzipped; Node built-ins: ${nodeBuiltins.length}`,
  )
}
