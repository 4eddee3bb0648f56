/**
 * Whether a statement failed on the named unique constraint or index. Uniqueness is decided by the database, not
 * by a read before the write: two requests racing for the same value would both pass such a read.
 */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint: violated } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && violated === constraint;
}
