package dev.canopy.onnx;

import java.util.List;
import java.util.Map;

/**
 * One node of an ONNX graph: its name, operator, the names of its inputs and outputs, and its tensor-valued
 * attributes (a Constant node keeps its value under "value").
 */
public record OnnxNode(String name, String opType, List<String> inputs, List<String> outputs, Map<String, OnnxTensor> tensorAttributes) {}
