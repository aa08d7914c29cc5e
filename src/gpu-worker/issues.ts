import type { z } from 'zod'

/** A zod error as one line: `path: message; ...`, for problem details and start-up errors. */
export const formatIssues = (error: z.core.$ZodError): string =>
  error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
