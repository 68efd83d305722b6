-- AlterTable
ALTER TABLE "Run" ADD COLUMN "modelInfo" JSONB;
