// Type-level proofs that the generated clients type what a frontend reads: tsc (npm run
// typecheck) fails when a spec change breaks one. Nothing here runs.
import type createClient from "openapi-fetch";
import type { components as Efalia } from "./generated/efalia";
import type { components as Elyssa, paths as ElyssaPaths } from "./generated/elyssa";
import type { components as Pixfile, paths as PixfilePaths } from "./generated/pixfile";
import type { components as Precrime, paths as PrecrimePaths } from "./generated/precrime";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function proves<T extends true>(): T | void {}

// pixfile: username and X-Auth-Token are required (the table says so), userId is optional.
proves<Equals<Pixfile["schemas"]["UserAccountApi"]["username"], string>>();
proves<Equals<Pixfile["schemas"]["UserAccountApi"]["X-Auth-Token"], string>>();
proves<Equals<Pixfile["schemas"]["UserAccountApiV1"]["id"], string | number>>();
proves<Equals<undefined extends Pixfile["schemas"]["UserAccountApi"]["userId"] ? true : false, true>>();

// precrime: the login's Token and a created key's token are strings, not string | undefined.
proves<Equals<Precrime["schemas"]["User"]["Token"], string>>();
type Created = PrecrimePaths["/authheader/add"]["post"]["responses"][200]["content"]["application/json"];
proves<Equals<Created["token"], string>>();
proves<Equals<Precrime["schemas"]["ErrorMessage"]["message"], string | undefined>>();

// elyssa: both tokens of the login and the refreshed access token are strings.
proves<Equals<Elyssa["schemas"]["LoginTokens"]["accessToken"], string>>();
proves<Equals<Elyssa["schemas"]["LoginTokens"]["refreshToken"], string>>();
proves<Equals<Elyssa["schemas"]["RefreshedToken"]["accessToken"], string>>();

// efalia: the token fields are the spec's names for an unnamed body, deliberately optional.
proves<Equals<Efalia["schemas"]["AuthTokens"]["token"], string | undefined>>();

// The deprecated pixfile GET login takes no body, and the elyssa login needs its companyId.
export async function neverCalled(pix: ReturnType<typeof createClient<PixfilePaths>>, ely: ReturnType<typeof createClient<ElyssaPaths>>) {
  const v1 = await pix.GET("/api/v1/login", {
    params: { query: { username: "u", password: "p" } },
    // @ts-expect-error a GET has no body (decision pixfile-v1-body)
    body: { logoutID: "x" },
  });
  // The */* 200 body is typed as UserAccountApiV1 all the same (decision pixfile-produces).
  proves<Equals<NonNullable<typeof v1.data>, Pixfile["schemas"]["UserAccountApiV1"]>>();
  const v2 = await pix.POST("/api/v2/login", { body: { username: "u", password: "p" } });
  proves<Equals<NonNullable<typeof v2.data>, Pixfile["schemas"]["UserAccountApi"]>>();
  // @ts-expect-error companyId is required
  await ely.POST("/auth/login/", { body: {} });
  const refused = await ely.POST("/auth/login/", { body: { companyId: "c" } });
  proves<Equals<NonNullable<typeof refused.error>, Elyssa["schemas"]["ErrorMessage"]>>();
}
