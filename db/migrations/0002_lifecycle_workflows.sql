CREATE TABLE "group_memberships" (
	"employee_id" text NOT NULL,
	"system" text NOT NULL,
	"group_dn" text NOT NULL,
	"group_name" text NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	"added_by_run" text,
	CONSTRAINT "group_memberships_employee_id_system_group_dn_pk" PRIMARY KEY("employee_id","system","group_dn")
);
--> statement-breakpoint
CREATE TABLE "lifecycle_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"version" integer,
	"employee_id" text NOT NULL,
	"category" text NOT NULL,
	"trigger" text NOT NULL,
	"trigger_key" text NOT NULL,
	"scheduled_for" timestamp with time zone NOT NULL,
	"requested_by" text NOT NULL,
	"status" text NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	CONSTRAINT "lifecycle_runs_status_check" CHECK ("lifecycle_runs"."status" in ('queued', 'in_progress', 'completed', 'completed_with_errors', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "lifecycle_task_runs" (
	"run_id" text NOT NULL,
	"position" integer NOT NULL,
	"task_id" text NOT NULL,
	"task_type" text NOT NULL,
	"task_name" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"output" jsonb,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	CONSTRAINT "lifecycle_task_runs_run_id_position_pk" PRIMARY KEY("run_id","position"),
	CONSTRAINT "lifecycle_task_runs_status_check" CHECK ("lifecycle_task_runs"."status" in ('queued', 'in_progress', 'waiting', 'completed', 'failed', 'skipped', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "lifecycle_workflow_versions" (
	"workflow_id" text NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lifecycle_workflow_versions_workflow_id_version_pk" PRIMARY KEY("workflow_id","version")
);
--> statement-breakpoint
CREATE TABLE "lifecycle_workflows" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"category" text NOT NULL,
	"enabled" boolean NOT NULL,
	"current_version" integer NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lifecycle_workflows_category_check" CHECK ("lifecycle_workflows"."category" in ('joiner', 'mover', 'leaver'))
);
--> statement-breakpoint
CREATE TABLE "temporary_access_passes" (
	"id" text PRIMARY KEY NOT NULL,
	"employee_id" text NOT NULL,
	"salt" text NOT NULL,
	"hash" text NOT NULL,
	"one_time" boolean NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"run_id" text,
	"task_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "lifecycle_runs" ADD CONSTRAINT "lifecycle_runs_workflow_id_lifecycle_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."lifecycle_workflows"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lifecycle_task_runs" ADD CONSTRAINT "lifecycle_task_runs_run_id_lifecycle_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."lifecycle_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lifecycle_workflow_versions" ADD CONSTRAINT "lifecycle_workflow_versions_workflow_id_lifecycle_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."lifecycle_workflows"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "lifecycle_runs_one_per_trigger" ON "lifecycle_runs" USING btree ("employee_id","trigger_key");--> statement-breakpoint
CREATE INDEX "lifecycle_runs_employee_id_created_at_index" ON "lifecycle_runs" USING btree ("employee_id","created_at");--> statement-breakpoint
CREATE INDEX "lifecycle_runs_workflow_id_created_at_index" ON "lifecycle_runs" USING btree ("workflow_id","created_at");--> statement-breakpoint
CREATE INDEX "lifecycle_runs_status_index" ON "lifecycle_runs" USING btree ("status");--> statement-breakpoint
CREATE INDEX "lifecycle_runs_created_at_index" ON "lifecycle_runs" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "lifecycle_task_runs_task_id" ON "lifecycle_task_runs" USING btree ("run_id","task_id");--> statement-breakpoint
CREATE INDEX "lifecycle_task_runs_task_type_status_index" ON "lifecycle_task_runs" USING btree ("task_type","status");--> statement-breakpoint
CREATE INDEX "temporary_access_passes_employee_id_expires_at_index" ON "temporary_access_passes" USING btree ("employee_id","expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "temporary_access_passes_per_task" ON "temporary_access_passes" USING btree ("run_id","task_id");