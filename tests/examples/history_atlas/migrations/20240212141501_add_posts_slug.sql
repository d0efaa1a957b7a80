-- Modify "posts" table
ALTER TABLE "public"."posts" ADD COLUMN "slug" character varying(200) NULL, ADD COLUMN "published_at" timestamptz NULL;
-- Create index "posts_slug_key" to table: "posts"
CREATE UNIQUE INDEX "posts_slug_key" ON "public"."posts" ("slug") WHERE (slug IS NOT NULL);
