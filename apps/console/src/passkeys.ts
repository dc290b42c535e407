import { startAuthentication, startRegistration, WebAuthnError } from '@simplewebauthn/browser';
import { Api, type Schemas } from './api';

type CreationOptions = Schemas['PasskeyCreationOptionsView'];
type SignInOptions = Schemas['PasskeySignInOptionsView'];
export type PasskeyRegistered = Schemas['PasskeyRegisteredView'];
export type PasskeySignInBody = Schemas['PasskeySignInDto'];

/**
 * The browser's side of the passkey ceremonies (navigator.credentials through
 * @simplewebauthn/browser, which converts between the server's JSON and the browser's buffers).
 * A prompt the person closed, or one that timed out, is said in words rather than as the
 * DOMException's text.
 */
function browserRefusal(err: unknown): Error {
  const name = err instanceof WebAuthnError ? ((err.cause as { name?: string } | undefined)?.name ?? err.name) : err instanceof Error ? err.name : '';
  if (name === 'NotAllowedError' || name === 'AbortError') return new Error('The passkey prompt was closed or timed out. Try again.');
  if (name === 'InvalidStateError') return new Error('This authenticator already holds a passkey for your account.');
  if (name === 'SecurityError')
    return new Error('This browser refused passkeys for this address. Open the console from its configured name (not an IP address).');
  return err instanceof Error ? err : new Error('The browser could not use a passkey.');
}

/** Creates a passkey on this device and registers it under `label`; the answer rotates the session. */
export async function addPasskey(api: Api, label: string): Promise<PasskeyRegistered> {
  const { options } = await api.post<CreationOptions>('/auth/passkeys/registration/options');
  let credential;
  try {
    credential = await startRegistration({ optionsJSON: options as unknown as Parameters<typeof startRegistration>[0]['optionsJSON'] });
  } catch (err) {
    throw browserRefusal(err);
  }
  return api.post<PasskeyRegistered>('/auth/passkeys/registration', { label, credential });
}

/** The sign-in's passkey step: the password again (the server keeps no half-signed-in state of ours), then the passkey's assertion. */
export async function passkeyAssertion(username: string, password: string): Promise<PasskeySignInBody> {
  const { pendingToken, options } = await new Api({ kind: 'none' }).post<SignInOptions>('/auth/sign-in/passkey/options', { username, password });
  try {
    const credential = await startAuthentication({ optionsJSON: options as unknown as Parameters<typeof startAuthentication>[0]['optionsJSON'] });
    return { pendingToken, credential: credential as unknown as PasskeySignInBody['credential'] };
  } catch (err) {
    throw browserRefusal(err);
  }
}
