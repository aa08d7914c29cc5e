import { describe, expect, it } from 'vitest'
import { installedProviders } from './inferenceSession'
import type { Logger } from './log'
import { hasModelPack } from './testing/modelPack'
import { startWorkerProcess } from './testing/workerProcess'

function recordingLogger() {
  const warnings: { message: string; fields?: Record<string, unknown> }[] = []
  const log: Logger = { info() {}, error() {}, warn: (message, fields) => warnings.push({ message, fields }) }
  return { log, warnings }
}

describe('installedProviders', () => {
  it('leaves out a provider whose library is absent, with one warning', () => {
    const { log, warnings } = recordingLogger()
    expect(installedProviders(['cuda', 'cpu'], log, (p) => p === 'cpu')).toEqual(['cpu'])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.fields).toMatchObject({ executionProviders: ['cuda'] })
  })

  it('keeps every installed provider in order, silently', () => {
    const { log, warnings } = recordingLogger()
    expect(installedProviders(['cuda', 'cpu'], log, () => true)).toEqual(['cuda', 'cpu'])
    expect(warnings).toEqual([])
  })

  it('refuses a list of which nothing is installed', () => {
    const { log } = recordingLogger()
    expect(() => installedProviders(['cuda'], log, () => false)).toThrow(
      /none of the execution providers cuda/,
    )
  })
})

// onnxruntime-node without its CUDA binaries (ONNXRUNTIME_NODE_INSTALL=skip, as here and in CI).
describe.skipIf(!hasModelPack())('a worker on the default providers (cuda,cpu) without CUDA', () => {
  it('starts on cpu with one warning of its own and no native onnxruntime error', async () => {
    const worker = await startWorkerProcess({ EXECUTION_PROVIDERS: 'cuda,cpu' })
    try {
      const output = worker.output()
      expect(output).not.toMatch(/\[E:onnxruntime|Failed to load library/)
      expect(output.match(/execution provider not installed/g)).toHaveLength(1)
      expect(output).toMatch(/"executionProvider":"cpu"/)
    } finally {
      await worker.kill()
    }
  })
})
