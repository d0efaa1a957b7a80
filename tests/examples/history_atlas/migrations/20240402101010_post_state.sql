-- Create enum type "post_state"
CREATE TYPE "public"."post_state" AS ENUM ('draft', 'published', 'archived');
-- Modify "posts" table
ALTER TABLE "public"."posts" ADD COLUMN "state" "public"."post_state" NOT NULL DEFAULT 'draft';
