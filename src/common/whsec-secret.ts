/** The smallest Standard Webhooks key accepted: fewer bytes, or none, would let anyone sign. */
const MIN_KEY_BYTES = 16;

/**
 * A Standard Webhooks secret, `whsec_` and the canonical base64 of at least
 * 16 bytes, as the HMAC key it stands for (the decoded bytes). The one
 * definition of the format: for the sources that verify with it, and for the
 * secrets shelfsync signs with. Throws, saying what is wrong, for anything else.
 */
export function whsecKey(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (encoded === '' || key.toString('base64') !== encoded || key.length < MIN_KEY_BYTES) {
    throw new Error(`not a standard-webhooks secret (whsec_ and the base64 of at least ${MIN_KEY_BYTES} bytes)`);
  }
  return key;
}
