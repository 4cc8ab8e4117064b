import type { Generated } from 'kysely';

export interface PostsTable {
  id: Generated<number>;
  author_id: number;
  body: string;
  reply_to_id: number | null;
  attached_track_id: number | null;
  created_at: string;
}

export interface LikesTable {
  post_id: number;
  user_id: number;
  created_at: string;
}

export interface PostsDB {
  posts: PostsTable;
  likes: LikesTable;
}
