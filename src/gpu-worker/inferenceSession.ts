import { InferenceSession } from 'onnxruntime-node'
import type { Config } from './config'
import type { Logger } from './log'

export type ExecutionProvider = Config['EXECUTION_PROVIDERS'][number]

export interface ProvidedSession {
  session: InferenceSession
  executionProvider: ExecutionProvider
}

/**
 * One ORT session on the first provider that initialises: a host without the CUDA binaries (or a GPU)
 * falls back to the next provider with a warning instead of failing to start.
 */
export async function createSession(
  modelPath: string,
  providers: readonly ExecutionProvider[],
  log: Logger,
): Promise<ProvidedSession> {
  const failures: string[] = []
  for (const executionProvider of providers) {
    try {
      const session = await InferenceSession.create(modelPath, {
        executionProviders: [executionProvider],
        graphOptimizationLevel: 'all',
      })
      return { session, executionProvider }
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      failures.push(`${executionProvider}: ${reason}`)
      log.warn('execution provider unavailable, trying the next one', {
        modelPath,
        executionProvider,
        reason,
      })
    }
  }
  throw new Error(`no execution provider could load ${modelPath} (${failures.join('; ')})`)
}
