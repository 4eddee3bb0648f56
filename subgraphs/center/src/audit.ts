/** The actions the center writes to its audit trail (`action` of its audit_log rows). */
export const AuditAction = {
  LOGIN: 'LOGIN',
  LOGOUT: 'LOGOUT',
  REFRESH_TOKEN_REUSE: 'REFRESH_TOKEN_REUSE',
  ROTATE_SIGNING_KEY: 'ROTATE_SIGNING_KEY',
  CREATE_USER: 'CREATE_USER',
  SET_USER_ACTIVE: 'SET_USER_ACTIVE',
  CREATE_HOSPITAL: 'CREATE_HOSPITAL',
  UPDATE_HOSPITAL: 'UPDATE_HOSPITAL',
} as const;
