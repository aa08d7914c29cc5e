import { SELF } from 'cloudflare:test'
import type { z } from '@hono/zod-openapi'
import { beforeAll, describe, expect, it } from 'vitest'
import apiDoc from '../../docs/api.md?raw'
import {
  explainJsonRequestSchema,
  explainResponseSchema,
  modelInfoSchema,
  modelListSchema,
  problemSchema,
} from '../shared/contract'
import {
  createJobRequestSchema,
  createJobResponseSchema,
  jobResultsSchema,
  jobViewSchema,
  webhookEventSchema,
} from '../shared/jobSchemas'
import { PROBLEMS, type ProblemCode } from '../shared/problem'
import { createUploadRequestSchema, createUploadResponseSchema } from '../shared/uploadSchemas'
import { V1_PROBLEMS } from './problem/openapi'
import { healthSchema } from './routes/ops'

/** The schema behind each OpenAPI component an example of docs/api.md names. */
const SCHEMAS: Record<string, z.ZodType> = {
  Problem: problemSchema,
  ModelList: modelListSchema,
  Model: modelInfoSchema,
  ExplainJsonRequest: explainJsonRequestSchema,
  ExplainResult: explainResponseSchema,
  CreateUploadRequest: createUploadRequestSchema,
  Upload: createUploadResponseSchema,
  CreateJobRequest: createJobRequestSchema,
  JobCreated: createJobResponseSchema,
  Job: jobViewSchema,
  JobResults: jobResultsSchema,
  JobEvent: webhookEventSchema,
  Health: healthSchema,
}
// The GPU workers' codes: the edge answers them as no_worker_available and worker_timeout (docs/api.md says so).
const WORKER_ONLY: ProblemCode[] = ['overloaded', 'deadline_exceeded']
// Answered by the app itself rather than by an operation: no route, another method, a bug.
const APP_WIDE: ProblemCode[] = ['not_found', 'method_not_allowed', 'internal_error']

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> }
}
let openapi: OpenApiDocument
beforeAll(async () => {
  openapi = await (await SELF.fetch('https://edge.test/openapi.json')).json<OpenApiDocument>()
})

const codesIn = (text: string) =>
  new Set([...text.matchAll(/`([a-z_]+)`/g)].map((match) => match[1] as string))

/** `### METHOD /path` sections of docs/api.md, each up to the next heading. */
function operations(): Map<string, string> {
  const sections = apiDoc.split(/^(?=#{2,3} )/m)
  return new Map(
    sections.flatMap((section) => {
      const heading = /^### (GET|POST|PUT|DELETE|PATCH) (\S+)\n/.exec(section)
      return heading ? [[`${heading[1]} ${heading[2]}`, section] as const] : []
    }),
  )
}

/** The problem codes the OpenAPI document lists for an operation (its error responses' descriptions). */
function documentedCodes(method: string, path: string): Set<string> {
  const responses = openapi.paths[path]?.[method.toLowerCase()]?.responses ?? {}
  const errors = Object.entries(responses).filter(([status]) => Number(status) >= 400)
  return new Set(errors.flatMap(([, response]) => [...codesIn(response.description)]))
}

describe('docs/api.md against the OpenAPI document', () => {
  it('describes every operation of the document, and no other', () => {
    const documented = Object.entries(openapi.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    )
    expect([...operations().keys()].sort()).toEqual(documented.sort())
  })

  it("lists each operation's errors as the document does", () => {
    const v1Line = /^- Every `\/v1` route can answer ([^;]+);/m.exec(apiDoc)?.[1] ?? ''
    expect([...codesIn(v1Line)].sort()).toEqual([...V1_PROBLEMS].sort())
    for (const [operation, section] of operations()) {
      const errors = section.split('\n\n').find((paragraph) => paragraph.startsWith('Errors: ')) ?? ''
      const codes = codesIn(errors)
      if (errors.includes('every `/v1` route')) for (const code of V1_PROBLEMS) codes.add(code)
      const [method, path] = operation.split(' ') as [string, string]
      expect([...codes].sort(), operation).toEqual([...documentedCodes(method, path)].sort())
    }
  })

  it('tables the problem catalogue: every code a client can get, with its status and title', () => {
    const rows = [...apiDoc.matchAll(/^\| `([a-z_]+)` \| ([\d, ]+) \| ([^|]+) \|/gm)].map(
      ([, code, statuses, title]) => ({ code, statuses, title: title?.trim() }),
    )
    const expected = Object.entries(PROBLEMS)
      .filter(([code]) => !WORKER_ONLY.includes(code as ProblemCode))
      .map(([code, entry]) => ({
        code,
        statuses: [entry.status, ...('alsoAs' in entry ? entry.alsoAs : [])].join(', '),
        title: entry.title,
      }))
    expect(rows).toEqual(expected)
    const answered = [...Object.entries(openapi.paths)].flatMap(([path, methods]) =>
      Object.keys(methods).flatMap((method) => [...documentedCodes(method, path)]),
    )
    for (const code of [...answered, ...APP_WIDE]) expect(rows.map((row) => row.code)).toContain(code)
    for (const code of WORKER_ONLY) expect(apiDoc).toContain(`\`${code}\``)
  })

  it('names the explain options the schema has', () => {
    const section = operations().get('POST /v1/explain') ?? ''
    const table = section.slice(section.indexOf('| name | type | default | meaning |'))
    const names = [...table.matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1])
    expect(names).toEqual(Object.keys(openapi.components.schemas.ExplainOptions?.properties ?? {}))
  })

  it('gives examples that parse with the schemas they name, fields the document knows', () => {
    const examples = [...apiDoc.matchAll(/^```json (\w+)\n([\s\S]*?)^```$/gm)]
    expect(examples.length).toBeGreaterThanOrEqual(Object.keys(SCHEMAS).length)
    for (const [, name, text] of examples) {
      const schema = SCHEMAS[name as string]
      expect(schema, `a schema for the example ${name}`).toBeDefined()
      const example: unknown = JSON.parse(text as string)
      const parsed = schema?.safeParse(example)
      expect(parsed?.error, name).toBeUndefined()
      const properties = Object.keys(openapi.components.schemas[name as string]?.properties ?? {})
      expect(properties.length, `the component ${name}`).toBeGreaterThan(0)
      for (const key of Object.keys(example as object)) expect(properties, name).toContain(key)
    }
  })
})
