CREATE TABLE "access_review_campaigns" (
	"id" text PRIMARY KEY NOT NULL,
	"review_id" text NOT NULL,
	"version" integer NOT NULL,
	"status" text NOT NULL,
	"stage" integer DEFAULT 0 NOT NULL,
	"stage_count" integer NOT NULL,
	"stage_ends_at" timestamp with time zone,
	"stopped_by" text,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"applied_at" timestamp with time zone,
	"applied_by" text,
	CONSTRAINT "access_review_campaigns_status_check" CHECK ("access_review_campaigns"."status" in ('open', 'awaiting-apply', 'applied'))
);
--> statement-breakpoint
CREATE TABLE "access_review_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"stage" integer NOT NULL,
	"batch" integer NOT NULL,
	"employee_id" text NOT NULL,
	"assignment_id" text NOT NULL,
	"package_id" text NOT NULL,
	"reviewers" text[] NOT NULL,
	"recommendation" text NOT NULL,
	"recommendation_reason" text NOT NULL,
	"earlier" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"decision" text,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"justification" text,
	"passed" boolean,
	"outcome" text,
	"outcome_by" text,
	"closed_at" timestamp with time zone,
	"effect" text,
	"applied_at" timestamp with time zone,
	CONSTRAINT "access_review_items_decision_check" CHECK ("access_review_items"."decision" in ('approve', 'deny', 'dont-know')),
	CONSTRAINT "access_review_items_outcome_check" CHECK ("access_review_items"."outcome" in ('approve', 'deny', 'none'))
);
--> statement-breakpoint
CREATE TABLE "access_review_notices" (
	"campaign_id" text NOT NULL,
	"stage" integer NOT NULL,
	"reviewer" text NOT NULL,
	"kind" text NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "access_review_notices_campaign_id_stage_reviewer_kind_pk" PRIMARY KEY("campaign_id","stage","reviewer","kind")
);
--> statement-breakpoint
CREATE TABLE "access_review_versions" (
	"review_id" text NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "access_review_versions_review_id_version_pk" PRIMARY KEY("review_id","version")
);
--> statement-breakpoint
CREATE TABLE "access_reviews" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"enabled" boolean NOT NULL,
	"current_version" integer NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "access_review_campaigns" ADD CONSTRAINT "access_review_campaigns_review_id_access_reviews_id_fk" FOREIGN KEY ("review_id") REFERENCES "public"."access_reviews"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_review_items" ADD CONSTRAINT "access_review_items_campaign_id_access_review_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."access_review_campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_review_versions" ADD CONSTRAINT "access_review_versions_review_id_access_reviews_id_fk" FOREIGN KEY ("review_id") REFERENCES "public"."access_reviews"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_review_campaigns_review_id_opened_at_index" ON "access_review_campaigns" USING btree ("review_id","opened_at");--> statement-breakpoint
CREATE UNIQUE INDEX "access_review_items_once" ON "access_review_items" USING btree ("campaign_id","stage","assignment_id");--> statement-breakpoint
CREATE INDEX "access_review_items_campaign_id_stage_batch_index" ON "access_review_items" USING btree ("campaign_id","stage","batch");--> statement-breakpoint
CREATE INDEX "access_review_items_reviewers" ON "access_review_items" USING gin ("reviewers");