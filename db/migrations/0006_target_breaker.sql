ALTER TABLE "identities" ADD COLUMN "waiting" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "target_pending" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "target_status" ADD COLUMN "state" text DEFAULT 'closed' NOT NULL;--> statement-breakpoint
ALTER TABLE "target_status" ADD COLUMN "state_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "target_status" ADD COLUMN "state_reason" text;--> statement-breakpoint
ALTER TABLE "target_status" ADD COLUMN "next_probe_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "target_status" ADD COLUMN "failed_probes" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "target_status" ADD COLUMN "failing_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "target_status" ADD COLUMN "streak_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- A target paused by the old one-way switch becomes an open breaker, probed as soon as a worker starts.
UPDATE "target_status" SET "state" = 'open', "state_since" = "paused_at", "state_reason" = "paused_reason", "next_probe_at" = now(), "streak_failures" = "consecutive_failures" WHERE "paused";--> statement-breakpoint
ALTER TABLE "target_status" DROP COLUMN "paused";--> statement-breakpoint
ALTER TABLE "target_status" DROP COLUMN "paused_reason";--> statement-breakpoint
ALTER TABLE "target_status" DROP COLUMN "paused_at";--> statement-breakpoint
ALTER TABLE "target_status" DROP COLUMN "consecutive_failures";--> statement-breakpoint
ALTER TABLE "target_status" ADD CONSTRAINT "target_status_state_check" CHECK ("target_status"."state" in ('closed', 'open', 'quarantined'));