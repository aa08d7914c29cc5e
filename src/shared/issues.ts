import type { z } from 'zod'

/** A zod error as one line, `path: message; ...`, for problem details and start-up errors; `root` names the whole value. */
export const formatIssues = (error: z.core.$ZodError, root = '(root)'): string =>
  error.issues.map((i) => `${i.path.join('.') || root}: ${i.message}`).join('; ')
