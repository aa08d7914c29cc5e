import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserBundle } from './scripts/browserBundle'
import { buildJs, buildTypes } from './scripts/build'

describe('the browser bundle', () => {
  it('needs no Node built-in', async () => {
    const bundle = await browserBundle()
    expect(bundle.nodeBuiltins).toEqual([])
    expect(bundle.inputs.some((input) => input.includes('zod'))).toBe(false)
  })

  it('is refused for the Node entry, which reads files', async () => {
    await expect(browserBundle('node.ts')).rejects.toThrow(/node:fs/)
  })
})

describe('the published package', () => {
  // A copy of the package as npm would install it, and an app that depends on it.
  const dir = mkdtempSync(join(tmpdir(), 't-tame-client-'))
  const pkg = join(dir, 'node_modules/@t-tame/client')

  beforeAll(async () => {
    mkdirSync(pkg, { recursive: true })
    cpSync(join(import.meta.dirname, 'package.json'), join(pkg, 'package.json'))
    await buildJs(join(pkg, 'dist'))
    buildTypes(join(pkg, 'dist'))
  }, 120_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('typechecks an app against its declarations alone, as Node ESM resolves them', () => {
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }')
    writeFileSync(
      join(dir, 'app.ts'),
      `import { type ExplainResult, type JobView, ProblemError, TTameClient, verifyWebhook } from '@t-tame/client'
import { TTameClient as NodeClient } from '@t-tame/client/node'
const client = new TTameClient({ baseUrl: 'https://api.example.net', apiKey: 'k' })
export async function run(photo: Blob): Promise<number> {
  const result: ExplainResult = await client.explain(photo, { topK: 3, classes: ['cat', 5], overlay: true })
  const first = result.explanations[0]?.overlayBlob()
  const job: JobView = await client.waitForJob('id', { signal: AbortSignal.timeout(1000) })
  const event = await verifyWebhook('whsec_x', new Headers(), '{}')
  await new NodeClient({ baseUrl: 'http://127.0.0.1:8787', apiKey: 'k' }).explain('photo.jpg')
  // @ts-expect-error topK is a number
  await client.explain(photo, { topK: 'three' })
  // @ts-expect-error a job status is one of five
  const status: JobView['status'] = 'done'
  return job.counts.succeeded + (first?.size ?? 0) + event.counts.total + (status ? 0 : 1) +
    (new ProblemError({ type: 'about:blank', title: 't', status: 400 }).status)
}
`,
    )
    const program = ts.createProgram([join(dir, 'app.ts')], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: [],
      skipLibCheck: true,
      strict: true,
      noEmit: true,
    })
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    expect(diagnostics).toEqual([])
    // Only the package's own declarations were read: no zod, no sources of the API.
    const read = program.getSourceFiles().map((file) => file.fileName)
    expect(read.filter((name) => name.includes('/zod/') || name.includes('/src/'))).toEqual([])
  })

  it('runs from its bundles: one error class shared by both entries', async () => {
    const core = await import(join(pkg, 'dist/index.js'))
    const node = await import(join(pkg, 'dist/node.js'))
    expect(node.ProblemError).toBe(core.ProblemError)
    expect(new node.TTameClient({ baseUrl: 'http://x', apiKey: 'k' })).toBeInstanceOf(core.TTameClient)
  })
})
