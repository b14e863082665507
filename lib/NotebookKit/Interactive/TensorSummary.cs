using System.Globalization;
using System.Net;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Interactive;

/// <summary>
/// What a learner needs to know about a tensor at a glance: shape, dtype, device, its first values
/// and its L2 norm. Displaying a tensor in a notebook shows this instead of thousands of numbers.
/// </summary>
/// <param name="Shape">Size of each dimension.</param>
/// <param name="DType">Element type, e.g. Float32.</param>
/// <param name="Device">Where it lives, e.g. cpu or cuda:0.</param>
/// <param name="First">The first few elements in row-major order, as text.</param>
/// <param name="Count">Total number of elements.</param>
/// <param name="Norm">L2 norm computed in float64, or null for tensors without a norm (bool, integer, empty).</param>
/// <param name="RequiresGrad">Whether autograd tracks it.</param>
/// <param name="HasGrad">Whether its .grad holds a gradient now.</param>
public sealed record TensorSummary(long[] Shape, string DType, string Device, string[] First, long Count, double? Norm, bool RequiresGrad, bool HasGrad)
{
    /// <summary>Summarises <paramref name="tensor"/>, reading its first <paramref name="count"/> elements (6 by default: enough to recognise the data).</summary>
    /// <exception cref="ObjectDisposedException">The tensor was disposed (for example by the dispose scope of a training step).</exception>
    public static TensorSummary Of(Tensor tensor, int count = 6)
    {
        if (tensor.IsInvalid) throw new ObjectDisposedException(nameof(tensor), "this tensor was disposed (its dispose scope ended); summarise it inside the scope or move it out with MoveToOuterDisposeScope().");
        using var scope = NewDisposeScope();
        var flat = tensor.detach().flatten().cpu(); // (N)
        var n = (int)Math.Min(count, flat.numel());
        var head = flat[..n];
        string[] first = tensor.dtype switch
        {
            ScalarType.Bool => head.data<bool>().Select(b => b ? "true" : "false").ToArray(),
            ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte =>
                head.to(ScalarType.Int64).data<long>().Select(x => x.ToString(CultureInfo.InvariantCulture)).ToArray(),
            _ when tensor.is_complex() => head.to(ScalarType.ComplexFloat64).data<System.Numerics.Complex>().Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray(),
            _ => head.to(ScalarType.Float64).data<double>().Select(x => x.ToString("G5", CultureInfo.InvariantCulture)).ToArray(),
        };
        double? norm = tensor.is_floating_point() && flat.numel() > 0 ? flat.to(ScalarType.Float64).norm().item<double>() : null;
        using var grad = tensor.grad;
        return new TensorSummary(tensor.shape, tensor.dtype.ToString(), tensor.device.ToString(), first, flat.numel(), norm, tensor.requires_grad, grad is not null);
    }

    /// <summary>A compact HTML block: shape, dtype, device, norm, gradient state, then the first values.</summary>
    public string ToHtml()
    {
        var facts = new List<string>
        {
            $"shape ({string.Join(", ", Shape)})", DType, Device, Norm is { } n ? $"norm {n.ToString("G5", CultureInfo.InvariantCulture)}" : "no norm",
        };
        if (RequiresGrad) facts.Add(HasGrad ? "requires grad, has .grad" : "requires grad, no .grad yet");
        var values = string.Join(", ", First) + (Count > First.Length ? $", … ({Count.ToString("N0", CultureInfo.InvariantCulture)} values)" : "");
        return "<div class=\"nbk-tensor\" style=\"font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px\">" +
               $"<b>tensor</b> {string.Join(" · ", facts.Select(WebUtility.HtmlEncode))}<br><span style=\"color:#444\">[{WebUtility.HtmlEncode(values)}]</span></div>";
    }

    /// <summary>Plain text: the same facts on one line, then the first values.</summary>
    public override string ToString() =>
        $"tensor ({string.Join(", ", Shape)}) {DType} {Device}{(Norm is { } n ? $" norm {n.ToString("G5", CultureInfo.InvariantCulture)}" : "")}: [{string.Join(", ", First)}{(Count > First.Length ? ", …" : "")}]";
}
