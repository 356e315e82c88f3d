import type { OperatorDirectory } from '../../admin/ports';
import type { CognitoClient } from '../aws/cognito';

const MAX_CACHED = 1_000;

/** Operators' emails from the user pool, by username (an access token names the user, not the address); cached per process. */
export class CognitoOperatorDirectory implements OperatorDirectory {
  private readonly emails = new Map<string, string | undefined>();

  constructor(
    private readonly cognito: CognitoClient,
    private readonly userPoolId: string,
  ) {}

  async emailOf(username: string): Promise<string | undefined> {
    if (this.emails.has(username)) return this.emails.get(username);
    const out = await this.cognito.adminGetUser({ UserPoolId: this.userPoolId, Username: username });
    const email = out.UserAttributes?.find((a) => a.Name === 'email')?.Value;
    if (this.emails.size >= MAX_CACHED) this.emails.clear();
    this.emails.set(username, email);
    return email;
  }
}
