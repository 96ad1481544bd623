CREATE TABLE "target_pending" (
	"employee_id" text NOT NULL,
	"target" text NOT NULL,
	"since" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "target_pending_employee_id_target_pk" PRIMARY KEY("employee_id","target")
);
--> statement-breakpoint
CREATE TABLE "target_status" (
	"name" text PRIMARY KEY NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"paused_reason" text,
	"paused_at" timestamp with time zone,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"last_success_at" timestamp with time zone,
	"last_failure_at" timestamp with time zone
);
