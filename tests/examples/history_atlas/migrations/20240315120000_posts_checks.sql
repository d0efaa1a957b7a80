-- Modify "posts" table
ALTER TABLE "public"."posts" ADD CONSTRAINT "posts_slug_format" CHECK ((slug)::text ~ '^[a-z0-9-]+$'), ADD CONSTRAINT "posts_title_not_blank" CHECK (btrim((title)::text) <> ''::text);
