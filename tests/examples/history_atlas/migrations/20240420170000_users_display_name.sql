-- Modify "users" table
ALTER TABLE "public"."users" DROP COLUMN "name", ADD COLUMN "display_name" text NULL;
