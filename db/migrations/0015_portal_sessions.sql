CREATE TABLE "portal_sessions" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"identity_id" text NOT NULL,
	"subject" text,
	"scopes" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "portal_sessions_kind_check" CHECK ("portal_sessions"."kind" in ('employee', 'guest'))
);
--> statement-breakpoint
CREATE INDEX "portal_sessions_identity_id_index" ON "portal_sessions" USING btree ("identity_id");--> statement-breakpoint
CREATE INDEX "portal_sessions_expires_at_index" ON "portal_sessions" USING btree ("expires_at");