/**
 * Builds the package into dist/: the ESM bundles of its entry points (esbuild) and, unless `--js-only`, their
 * declarations (tsc). The API's types are `z.infer` aliases of the edge's schemas (types.ts); here they are
 * expanded into plain object types, so the published declarations need neither zod nor the edge's sources.
 *
 * Usage: tsx scripts/build.ts [--js-only] [--outdir DIR]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'
import ts from 'typescript'

const PACKAGE_DIR = resolve(import.meta.dirname, '..')
const ENTRY_POINTS = { index: 'index.ts', node: 'node.ts', cli: 'cli/main.ts' }
const TYPED_ENTRIES = ['index.ts', 'node.ts']

/** The JavaScript: one ESM file per entry point, code they share in chunks (one ProblemError class for all). */
export async function buildJs(outdir: string): Promise<void> {
  await build({
    absWorkingDir: PACKAGE_DIR,
    entryPoints: ENTRY_POINTS,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
  })
}

/** `export type X = …` for each alias of types.ts, its type written out in full, its doc comment kept. */
function expandedTypes(program: ts.Program, file: ts.SourceFile): string {
  const checker = program.getTypeChecker()
  const printer = ts.createPrinter()
  const flags =
    ts.NodeBuilderFlags.NoTruncation |
    ts.NodeBuilderFlags.InTypeAlias |
    ts.NodeBuilderFlags.MultilineObjectLiterals
  const aliases = file.statements.filter(ts.isTypeAliasDeclaration).map((alias) => {
    const node = checker.typeToTypeNode(checker.getTypeAtLocation(alias.name), undefined, flags)
    if (!node) throw new Error(`cannot expand type ${alias.name.text}`)
    const doc = (ts.getLeadingCommentRanges(file.text, alias.getFullStart()) ?? [])
      .map((range) => file.text.slice(range.pos, range.end))
      .join('\n')
    return `${doc}\nexport type ${alias.name.text} = ${printer.printNode(ts.EmitHint.Unspecified, node, file)}\n`
  })
  return `// The API's data types, expanded from the zod schemas that validate them (scripts/build.ts).\n\n${aliases.join('\n')}`
}

/** Module specifiers of a declaration file: `from '…'` and `import("…")`. */
const SPECIFIER = /(from '|import\(")([^'"]+)(['"])/g

/** Relative specifiers with the `.js` that Node's ESM resolution (`moduleResolution: node16`) requires. */
const withJsExtensions = (text: string) =>
  text.replace(SPECIFIER, (whole, before: string, specifier: string, after: string) =>
    specifier.startsWith('.') && !specifier.endsWith('.js') ? `${before}${specifier}.js${after}` : whole,
  )

/** The declarations: tsc's for the client's own modules, types.ts replaced by its expansion. */
export function buildTypes(outdir: string): void {
  const root = ts.getParsedCommandLineOfConfigFile(
    resolve(PACKAGE_DIR, '../../tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => console.error(d.messageText) },
  )
  if (!root) throw new Error('cannot read tsconfig.json')
  const program = ts.createProgram(
    TYPED_ENTRIES.map((entry) => resolve(PACKAGE_DIR, entry)),
    { ...root.options, noEmit: false, declaration: true, emitDeclarationOnly: true, outDir: outdir },
  )
  const errors = ts.getPreEmitDiagnostics(program)
  if (errors.length) {
    throw new Error(ts.formatDiagnosticsWithColorAndContext(errors, ts.createCompilerHost(root.options)))
  }
  const declarations = new Map<string, string>()
  program.emit(undefined, (_, text, __, ___, sources) => {
    const source = sources?.[0]
    const name = source && relative(PACKAGE_DIR, source.fileName).replace(/\.ts$/, '.d.ts')
    // Only the client's own modules are published; the schemas they name are expanded into types.d.ts.
    if (!source || !name || name.startsWith('..')) return
    declarations.set(name, withJsExtensions(name === 'types.d.ts' ? expandedTypes(program, source) : text))
  })
  for (const [name, text] of declarations) {
    for (const [, , specifier = ''] of text.matchAll(SPECIFIER)) {
      const target = relative('.', join(dirname(name), specifier.replace(/\.js$/, '.d.ts')))
      if (specifier.startsWith('node:') || declarations.has(target)) continue
      throw new Error(`${name} imports ${specifier}, which the package does not publish`)
    }
    mkdirSync(dirname(join(outdir, name)), { recursive: true })
    writeFileSync(join(outdir, name), text)
  }
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const { values } = parseArgs({ options: { 'js-only': { type: 'boolean' }, outdir: { type: 'string' } } })
  const outdir = resolve(PACKAGE_DIR, values.outdir ?? 'dist')
  rmSync(outdir, { recursive: true, force: true })
  await buildJs(outdir)
  if (!values['js-only']) buildTypes(outdir)
}
