CREATE TABLE "access_outbox" (
	"id" text PRIMARY KEY NOT NULL,
	"employee_id" text NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	CONSTRAINT "access_outbox_kind_check" CHECK ("access_outbox"."kind" in ('mail', 'hook'))
);
--> statement-breakpoint
CREATE INDEX "access_outbox_undelivered" ON "access_outbox" USING btree ("employee_id") WHERE "access_outbox"."delivered_at" is null;