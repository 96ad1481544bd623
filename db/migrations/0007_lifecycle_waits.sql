ALTER TABLE "lifecycle_runs" ADD COLUMN "input" jsonb;--> statement-breakpoint
ALTER TABLE "lifecycle_task_runs" ADD COLUMN "waiting_for" text;--> statement-breakpoint
ALTER TABLE "lifecycle_task_runs" ADD COLUMN "waiting_since" timestamp with time zone;