import type { Generated } from 'kysely';

export interface UsersTable {
  id: Generated<number>;
  handle: string;
  display_name: string;
  bio: string | null;
  created_at: string;
}

export interface FollowsTable {
  follower_id: number;
  followee_id: number;
  created_at: string;
}

export interface UsersDB {
  users: UsersTable;
  follows: FollowsTable;
}

export interface UserRow {
  id: number;
  handle: string;
  display_name: string;
  bio: string | null;
  created_at: string;
}
