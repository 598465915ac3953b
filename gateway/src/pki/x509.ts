// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect metadata API;
// this import must run before the library's, so every module takes x509 from here.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
