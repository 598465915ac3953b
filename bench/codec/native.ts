/** The benchmark loads the native codec the same way the gateway does. */
export { loadNativeCodec as loadNative, type NativeCodec } from '../../gateway/src/screen/native-codec.js';
