CREATE TABLE "connected_organisation_domains" (
	"domain" text PRIMARY KEY NOT NULL,
	"organisation_id" text NOT NULL,
	CONSTRAINT "connected_organisation_domains_lowercase" CHECK ("connected_organisation_domains"."domain" = lower("connected_organisation_domains"."domain"))
);
--> statement-breakpoint
CREATE TABLE "connected_organisations" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"sponsors" text[] DEFAULT '{}'::text[] NOT NULL,
	"state" text NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connected_organisations_state_check" CHECK ("connected_organisations"."state" in ('configured', 'proposed'))
);
--> statement-breakpoint
CREATE TABLE "guest_sign_in_codes" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"code_hash" text NOT NULL,
	"salt" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"sent_at" timestamp with time zone,
	"used_at" timestamp with time zone,
	"locked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "guest_tickets" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "guests" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"organisation_id" text NOT NULL,
	"given_name" text NOT NULL,
	"family_name" text NOT NULL,
	"sponsor_employee_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "guests_email_unique" UNIQUE("email"),
	CONSTRAINT "guests_id_check" CHECK ("guests"."id" ~ '^g-[0-9a-f]{16}$'),
	CONSTRAINT "guests_email_lowercase" CHECK ("guests"."email" = lower("guests"."email"))
);
--> statement-breakpoint
ALTER TABLE "identities" ADD COLUMN "type" text DEFAULT 'worker' NOT NULL;--> statement-breakpoint
ALTER TABLE "connected_organisation_domains" ADD CONSTRAINT "connected_organisation_domains_organisation_id_connected_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."connected_organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "guests" ADD CONSTRAINT "guests_organisation_id_connected_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."connected_organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "connected_organisation_domains_organisation_id_index" ON "connected_organisation_domains" USING btree ("organisation_id");--> statement-breakpoint
CREATE INDEX "guest_sign_in_codes_email_created_at_index" ON "guest_sign_in_codes" USING btree ("email","created_at");--> statement-breakpoint
CREATE INDEX "guest_tickets_expires_at_index" ON "guest_tickets" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "identities_type_index" ON "identities" USING btree ("type");--> statement-breakpoint
ALTER TABLE "identities" ADD CONSTRAINT "identities_type_check" CHECK (("identities"."type" = 'guest') = ("identities"."employee_id" ~ '^g-[0-9a-f]{16}$') and "identities"."type" in ('worker', 'guest'));