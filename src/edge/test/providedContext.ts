/** What the stand-in's globalSetup hands to the edge tests (and to vitest.config.ts). */
declare module 'vitest' {
  export interface ProvidedContext {
    standinUrl: string
    standinToken: string
  }
}

export {}
