CREATE TABLE "access_rollouts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"package_id" text NOT NULL,
	"version" integer NOT NULL,
	"reason" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"workflow_id" text NOT NULL,
	"requested_by" text NOT NULL,
	"per_second" integer NOT NULL,
	"total" integer,
	"done" integer DEFAULT 0 NOT NULL,
	"signalled" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "access_rollouts_status_check" CHECK ("access_rollouts"."status" in ('pending', 'running', 'completed', 'superseded'))
);
--> statement-breakpoint
ALTER TABLE "access_rollouts" ADD CONSTRAINT "access_rollouts_package_id_access_packages_id_fk" FOREIGN KEY ("package_id") REFERENCES "public"."access_packages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_rollouts_package_id_id_index" ON "access_rollouts" USING btree ("package_id","id");