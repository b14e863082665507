using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Runtime;

/// <summary>
/// Tensor arithmetic with a number, written so that the number outlives the native call that reads it.
/// </summary>
/// <remarks>
/// TorchSharp turns a number given to a tensor op (<c>t / 8</c>, <c>t.ne(-100)</c>, and the alpha of 1 hidden in
/// <c>a + b</c>) into a <see cref="Scalar"/> that nothing references once its handle has been read. A garbage
/// collection started by any other thread (a test runner's reporter, a kernel's message loop, the finalizer thread)
/// can then finalize it, freeing the native value while libtorch is about to read it, and the op fails at random with
/// "Expected false to be true" or "Unknown scalar type". Each helper here holds its Scalar in a <c>using</c>, or uses
/// a constant that is never freed, until the op has returned. Written by hand: TorchSharp 0.107.0 frees these Scalars
/// only through their finalizers.
/// </remarks>
internal static class HeldScalars
{
    /// <summary>The alpha of a plain addition; never freed.</summary>
    internal static readonly Scalar One = 1.ToScalar();

    /// <summary><paramref name="a"/> + <paramref name="b"/>.</summary>
    internal static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><paramref name="a"/> += <paramref name="b"/>, in place.</summary>
    internal static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary><paramref name="a"/> + <paramref name="b"/>.</summary>
    internal static Tensor Plus(this Tensor a, double b)
    {
        using Scalar held = b;
        return a.add(held, One);
    }

    /// <summary><paramref name="a"/> / <paramref name="b"/>, with an integer divisor (a token count).</summary>
    internal static Tensor Over(this Tensor a, long b)
    {
        using Scalar held = b;
        return a.div(held);
    }

    /// <summary><paramref name="a"/> * <paramref name="b"/>.</summary>
    internal static Tensor Times(this Tensor a, double b)
    {
        using Scalar held = b;
        return a.mul(held);
    }

    /// <summary>Where <paramref name="a"/> differs from <paramref name="b"/>.</summary>
    internal static Tensor NotEqual(this Tensor a, long b)
    {
        using Scalar held = b;
        return a.ne(held);
    }
}
