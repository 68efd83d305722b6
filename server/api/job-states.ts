/**
 * The job-state vocabulary the browser shares with the server (runs follow their job's state). Re-exported from
 * server/jobs, where the one list lives, so pages test states without importing the jobs layer.
 */
export { isActiveStatus, isResumableStatus, type JobStatus } from "~/server/jobs/job-status";
