CREATE TABLE "access_assignments" (
	"id" text PRIMARY KEY NOT NULL,
	"package_id" text NOT NULL,
	"employee_id" text NOT NULL,
	"source" text NOT NULL,
	"policy_id" text,
	"request_id" text,
	"granted_by" text NOT NULL,
	"reason" text,
	"status" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone,
	"grace_until" timestamp with time zone,
	"held_reason" text,
	"reminders_sent" text[] DEFAULT '{}'::text[] NOT NULL,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"ended_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "access_assignments_source_check" CHECK ("access_assignments"."source" in ('auto', 'request', 'admin')),
	CONSTRAINT "access_assignments_status_check" CHECK ("access_assignments"."status" in ('active', 'grace', 'held', 'ended'))
);
--> statement-breakpoint
CREATE TABLE "access_request_decisions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"stage" integer NOT NULL,
	"approver" text NOT NULL,
	"decision" text NOT NULL,
	"justification" text,
	"via" text NOT NULL,
	"decided_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "access_request_decisions_check" CHECK ("access_request_decisions"."decision" in ('approve', 'deny', 'escalate'))
);
--> statement-breakpoint
CREATE TABLE "access_package_versions" (
	"package_id" text NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "access_package_versions_package_id_version_pk" PRIMARY KEY("package_id","version")
);
--> statement-breakpoint
CREATE TABLE "access_packages" (
	"id" text PRIMARY KEY NOT NULL,
	"catalog_id" text NOT NULL,
	"name" text NOT NULL,
	"enabled" boolean NOT NULL,
	"current_version" integer NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "access_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"package_id" text NOT NULL,
	"package_version" integer NOT NULL,
	"policy_id" text NOT NULL,
	"employee_id" text NOT NULL,
	"requested_by" text NOT NULL,
	"assignment_id" text,
	"justification" text,
	"requested_end" timestamp with time zone,
	"status" text NOT NULL,
	"stage" integer DEFAULT 0 NOT NULL,
	"stage_count" integer NOT NULL,
	"approvers" text[] DEFAULT '{}'::text[] NOT NULL,
	"stage_deadline" timestamp with time zone,
	"outcome_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "access_requests_status_check" CHECK ("access_requests"."status" in ('pending', 'approved', 'denied', 'cancelled', 'failed')),
	CONSTRAINT "access_requests_kind_check" CHECK ("access_requests"."kind" in ('new', 'extension'))
);
--> statement-breakpoint
CREATE TABLE "approval_links" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"stage" integer NOT NULL,
	"approver" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalogs" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"owners" text[] DEFAULT '{}'::text[] NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "employee_id" text;--> statement-breakpoint
ALTER TABLE "access_assignments" ADD CONSTRAINT "access_assignments_package_id_access_packages_id_fk" FOREIGN KEY ("package_id") REFERENCES "public"."access_packages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_request_decisions" ADD CONSTRAINT "access_request_decisions_request_id_access_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."access_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_package_versions" ADD CONSTRAINT "access_package_versions_package_id_access_packages_id_fk" FOREIGN KEY ("package_id") REFERENCES "public"."access_packages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_packages" ADD CONSTRAINT "access_packages_catalog_id_catalogs_id_fk" FOREIGN KEY ("catalog_id") REFERENCES "public"."catalogs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_requests" ADD CONSTRAINT "access_requests_package_id_access_packages_id_fk" FOREIGN KEY ("package_id") REFERENCES "public"."access_packages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approval_links" ADD CONSTRAINT "approval_links_request_id_access_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."access_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_assignments_employee_id_status_index" ON "access_assignments" USING btree ("employee_id","status");--> statement-breakpoint
CREATE INDEX "access_assignments_package_id_status_index" ON "access_assignments" USING btree ("package_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "access_assignments_one_auto" ON "access_assignments" USING btree ("employee_id","package_id","policy_id") WHERE "access_assignments"."source" = 'auto' and "access_assignments"."status" <> 'ended';--> statement-breakpoint
CREATE UNIQUE INDEX "access_request_decisions_once" ON "access_request_decisions" USING btree ("request_id","stage","decision","approver");--> statement-breakpoint
CREATE INDEX "access_requests_employee_id_created_at_index" ON "access_requests" USING btree ("employee_id","created_at");--> statement-breakpoint
CREATE INDEX "access_requests_status_index" ON "access_requests" USING btree ("status");--> statement-breakpoint
CREATE INDEX "access_requests_approvers" ON "access_requests" USING gin ("approvers");