CREATE TABLE "accounts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"employee_id" text NOT NULL,
	"system" text NOT NULL,
	"external_id" text NOT NULL,
	"username" text NOT NULL,
	"enabled" boolean NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"development" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_name_unique" UNIQUE("name"),
	CONSTRAINT "api_keys_prefix_unique" UNIQUE("prefix")
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"employee_id" text,
	"kind" text NOT NULL,
	"actor" text NOT NULL,
	"system" text,
	"summary" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"workflow_id" text,
	"run_id" text,
	"idempotency_key" text,
	CONSTRAINT "audit_events_idempotencyKey_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "hr_inbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"employee_id" text NOT NULL,
	"kind" text NOT NULL,
	"as_of" timestamp with time zone NOT NULL,
	"payload" jsonb,
	"record" jsonb,
	"policy" jsonb NOT NULL,
	"actor" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"delivery_attempts" integer DEFAULT 0 NOT NULL,
	"last_delivery_error" text,
	"outcome" text,
	"processed_at" timestamp with time zone,
	CONSTRAINT "hr_inbox_kind_check" CHECK ("hr_inbox"."kind" in ('upsert', 'withdraw')),
	CONSTRAINT "hr_inbox_record_check" CHECK (("hr_inbox"."kind" = 'upsert') = ("hr_inbox"."record" is not null))
);
--> statement-breakpoint
CREATE TABLE "identities" (
	"employee_id" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"username" text,
	"work_email" text,
	"given_name" text NOT NULL,
	"family_name" text NOT NULL,
	"preferred_name" text,
	"display_name" text NOT NULL,
	"employee_type" text NOT NULL,
	"department" text,
	"job_title" text,
	"manager_employee_id" text,
	"location" text,
	"time_zone" text NOT NULL,
	"hire_at" timestamp with time zone NOT NULL,
	"leave_at" timestamp with time zone,
	"record_as_of" timestamp with time zone NOT NULL,
	"record" jsonb NOT NULL,
	"next_action" text,
	"next_action_at" timestamp with time zone,
	"last_error" text,
	"workflow_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "identities_state_check" CHECK ("identities"."state" in ('pending', 'prehire', 'active', 'terminated', 'deleted', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "username_reservations" (
	"username" text PRIMARY KEY NOT NULL,
	"employee_id" text NOT NULL,
	"reserved_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "username_reservations_lowercase" CHECK ("username_reservations"."username" = lower("username_reservations"."username"))
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_employee_id_identities_employee_id_fk" FOREIGN KEY ("employee_id") REFERENCES "public"."identities"("employee_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_live_per_system" ON "accounts" USING btree ("employee_id","system") WHERE "accounts"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "accounts_system_external_id_index" ON "accounts" USING btree ("system","external_id");--> statement-breakpoint
CREATE INDEX "audit_events_employee_id_id_index" ON "audit_events" USING btree ("employee_id","id");--> statement-breakpoint
CREATE INDEX "audit_events_kind_index" ON "audit_events" USING btree ("kind");--> statement-breakpoint
CREATE INDEX "hr_inbox_employee_id_id_index" ON "hr_inbox" USING btree ("employee_id","id");--> statement-breakpoint
CREATE INDEX "hr_inbox_undelivered" ON "hr_inbox" USING btree ("id") WHERE "hr_inbox"."delivered_at" is null;--> statement-breakpoint
CREATE INDEX "identities_state_index" ON "identities" USING btree ("state");--> statement-breakpoint
CREATE INDEX "identities_department_index" ON "identities" USING btree ("department");--> statement-breakpoint
CREATE INDEX "identities_manager_employee_id_index" ON "identities" USING btree ("manager_employee_id");--> statement-breakpoint
CREATE UNIQUE INDEX "username_reservations_one_per_person" ON "username_reservations" USING btree ("employee_id");