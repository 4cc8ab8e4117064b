import { GraphQLError } from 'graphql';

/** The error codes clients see in `extensions.code` (see docs/operations.md). */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const httpStatus: Partial<Record<ErrorCode, number>> = { UNAUTHENTICATED: 401 };

export function codedError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  const status = httpStatus[code];
  return new GraphQLError(message, {
    extensions: { code, ...extensions, ...(status ? { http: { status } } : {}) },
  });
}

export const badInput = (message: string, argumentName?: string) => codedError(ErrorCode.BAD_USER_INPUT, message, argumentName ? { argumentName } : {});
export const notFound = (message: string) => codedError(ErrorCode.NOT_FOUND, message);
export const forbidden = (message: string) => codedError(ErrorCode.FORBIDDEN, message);
export const unauthenticated = (message: string) => codedError(ErrorCode.UNAUTHENTICATED, message);
