import type { TestProject } from 'vitest/node'
import { LocalStack } from '../e2e/localStack'

declare module 'vitest' {
  export interface ProvidedContext {
    edgeUrl: string
    apiKey: string
  }
}

/** vitest globalSetup: one local stack (`npm start`'s script: page build, edge, CPU worker) for every file. */
export default async function setup(project: TestProject) {
  const stack = new LocalStack()
  await stack.start()
  project.provide('edgeUrl', stack.edgeUrl)
  project.provide('apiKey', stack.apiKey)
  return () => stack.stop()
}
