/** HTTP Basic credentials (RFC 7617): user-ids may not contain ':', passwords may. */
export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
