package codegen

// CopyStub is copyStub, for the tests of package codegen_test.
const CopyStub = copyStub
