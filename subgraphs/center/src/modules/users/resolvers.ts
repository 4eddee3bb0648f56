import type { PageArgs } from '@medport/graphql';
import type { CenterContext } from '../../context.js';
import { createUser, getUser, listVisibleUsers, loadVisibleUser, setUserActive, type CreateUserInput, type UserFilterInput } from './users.manager.js';
import type { UserRow } from './users.table.js';

export const userResolvers = {
  Query: {
    users: (_: unknown, args: PageArgs & { filter?: UserFilterInput | null }, context: CenterContext) =>
      listVisibleUsers(context, args.filter ?? {}, args),
    user: (_: unknown, args: { id: string }, context: CenterContext) => getUser(context, args.id),
  },
  Mutation: {
    createUser: (_: unknown, args: { input: CreateUserInput }, context: CenterContext) => createUser(context, args.input),
    setUserActive: (_: unknown, args: { id: string; isActive: boolean }, context: CenterContext) =>
      setUserActive(context, args.id, args.isActive),
  },
  User: {
    __resolveReference: (reference: { id: string }, context: CenterContext) => loadVisibleUser(context, reference.id),
    hospital: (user: UserRow, _: unknown, context: CenterContext) => (user.hospital_id ? context.loaders.hospital.load(user.hospital_id) : null),
    agency: (user: UserRow) => (user.agency_id ? { __typename: 'Agency', id: user.agency_id } : null),
    isActive: (user: UserRow) => user.is_active,
    lastLoginAt: (user: UserRow) => user.last_login_at,
    createdAt: (user: UserRow) => user.created_at,
    updatedAt: (user: UserRow) => user.updated_at,
  },
};
