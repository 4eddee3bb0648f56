import type { UserRole } from '@medport/domain';

/** Who is calling, taken from a verified access token and from nowhere else (never from a plain header). */
export interface Viewer {
  userId: string;
  role: UserRole;
  hospitalId: string | null;
  agencyId: string | null;
}
