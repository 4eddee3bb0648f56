import type { CenterContext } from '../../context.js';
import { login, logout, refreshSession, rotateSigningKeys } from './auth.manager.js';

export const authResolvers = {
  Mutation: {
    login: (_: unknown, args: { email: string; password: string }, context: CenterContext) => login(context, args.email, args.password),
    refreshToken: (_: unknown, args: { refreshToken: string }, context: CenterContext) => refreshSession(context, args.refreshToken),
    logout: (_: unknown, args: { refreshToken: string }, context: CenterContext) => logout(context, args.refreshToken),
    rotateSigningKey: (_: unknown, __: unknown, context: CenterContext) => rotateSigningKeys(context),
  },
};
