CREATE TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"window_started_at" timestamp with time zone NOT NULL,
	"failures" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "temporary_access_passes" ADD COLUMN "locked_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "rate_limits_window_started_at_index" ON "rate_limits" USING btree ("window_started_at");