import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { InferenceSession } from 'onnxruntime-node'
import type { Config } from './config'
import type { Logger } from './log'

export type ExecutionProvider = Config['EXECUTION_PROVIDERS'][number]

export interface ProvidedSession {
  session: InferenceSession
  executionProvider: ExecutionProvider
}

/**
 * onnxruntime-node ships its CPU provider; the CUDA provider's libraries come only with the `cuda12` install
 * (the GPU image's). Asking ORT for a provider whose library is absent makes it print a native error on every
 * session, so a provider that is not installed is left out once, with one warning of ours.
 */
export function installedProviders(
  wanted: readonly ExecutionProvider[],
  log: Logger,
  isInstalled: (provider: ExecutionProvider) => boolean = libraryInstalled,
): ExecutionProvider[] {
  const missing = wanted.filter((provider) => !isInstalled(provider))
  if (missing.length > 0) {
    log.warn('execution provider not installed, skipped', {
      executionProviders: missing,
      hint: 'onnxruntime-node installs its CUDA 12 provider with ONNXRUNTIME_NODE_INSTALL=cuda12 (the Dockerfile does)',
    })
  }
  const installed = wanted.filter((provider) => !missing.includes(provider))
  if (installed.length === 0)
    throw new Error(`none of the execution providers ${wanted.join(', ')} is installed`)
  return installed
}

/** ORT's native libraries sit beside its Node binding: bin/napi-v6/<platform>/<arch>. */
function libraryInstalled(provider: ExecutionProvider): boolean {
  if (provider === 'cpu') return true
  const ortMain = createRequire(import.meta.url).resolve('onnxruntime-node')
  const binaries = join(dirname(ortMain), '..', 'bin', 'napi-v6', process.platform, process.arch)
  return existsSync(join(binaries, `libonnxruntime_providers_${provider}.so`))
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
