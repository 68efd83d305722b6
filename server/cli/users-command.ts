import { parseArgs } from "node:util";
import { AppError } from "~/server/app-error";
import { type Role, roleSchema } from "~/server/auth/roles";
import { createUser, listUsers } from "~/server/auth/users";
import { recordAudit } from "~/server/services/audit/record-audit";
import { prepare } from "./cli-deps";

export const USERS_USAGE = `  fvl users list
  fvl users create-admin --email EMAIL [--name NAME]        (the password is read from standard input)
  fvl users create --email EMAIL --role viewer|member|admin [--name NAME]`;

/**
 * Accounts from the server's own shell: how the first administrator is made (whoever can run this can read the
 * database anyway), and a way back in when every administrator has lost their password.
 */
export async function usersCommand(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const deps = await prepare();
  if (action === "list") {
    for (const user of await listUsers({ db: deps.db }))
      console.log(`${user.email.padEnd(32)} ${user.role.padEnd(7)} ${user.name}`);
    return;
  }
  if (action !== "create-admin" && action !== "create")
    throw new AppError("BAD_INPUT", `usage:\n${USERS_USAGE}`);
  const { values } = parseArgs({
    args: rest,
    options: { email: { type: "string" }, name: { type: "string" }, role: { type: "string" } },
  });
  const role: Role = action === "create-admin" ? "admin" : roleSchema.parse(values.role);
  if (values.email === undefined) throw new AppError("BAD_INPUT", `--email is required.\n${USERS_USAGE}`);
  const password = await readPassword();
  const user = await createUser({
    auth: deps.auth.auth(),
    email: values.email,
    name: values.name ?? values.email.split("@")[0] ?? values.email,
    password,
    role,
  });
  await recordAudit({
    db: deps.db,
    actor: { actorId: null, actorEmail: "cli" },
    action: "users.create",
    detail: { id: user.id, email: user.email, role: user.role },
  });
  console.log(
    `Created ${user.role} ${user.email}.${deps.auth.isEnabled ? "" : " (Access control is off on this configuration: AUTH, HOST.)"}`,
  );
}

/** The first line of standard input (piped, or typed at the prompt). */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("Password (10+ characters): ");
  let text = "";
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes("\n")) break;
  }
  const password = text.split(/\r?\n/)[0] ?? "";
  if (password.length < 10) throw new AppError("BAD_INPUT", "The password needs at least 10 characters.");
  return password;
}
